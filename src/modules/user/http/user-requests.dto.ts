import { TextField } from '../../../shared/http/api-fields';
import { CURRENT_PASSWORD, EMAIL, NAME, PASSWORD } from './user-fields';

export class CreateUserDto {
  @TextField(EMAIL)
  email!: string;

  @TextField(PASSWORD)
  password!: string;

  @TextField(NAME)
  name!: string;
}

export class UpdateProfileDto {
  @TextField(NAME)
  name!: string;
}

export class ChangePasswordDto {
  @TextField(CURRENT_PASSWORD)
  currentPassword!: string;

  @TextField(PASSWORD)
  newPassword!: string;
}
