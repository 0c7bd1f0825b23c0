import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiIdParam, LOCATION_HEADER } from '../../../shared/http/api-fields';
import { ApiProblem } from '../../../shared/http/api-problems';
import { Forbidden, Unauthenticated } from '../../../shared/kernel/domain-error';
import { EmailTaken, UserNotFound, WrongPassword } from '../user.errors';
import type { FastifyReply } from 'fastify';
import type { Page } from '../../../shared/kernel/page';
import { decodeCursor, PageQuery, toPage } from '../../../shared/http/pagination';
import { CurrentPrincipal, Public, RequireRoles } from '../../../shared/security/auth.guard';
import type { Principal } from '../../../shared/security/security.contract';
import { ChangePassword } from '../manage-account/change-password';
import { DeleteAccount } from '../manage-account/delete-account';
import { RenameUser } from '../manage-account/rename-user';
import { ReadUsers } from '../read-users/read-users';
import { RegisterUser } from '../register/register-user';
import { toUserDto, UserDto, UserPageDto } from './user.dto';
import { ChangePasswordDto, CreateUserDto, UpdateProfileDto } from './user-requests.dto';

/**
 * /api/users. Sign-up is public; every other route needs a bearer token, which the global
 * AuthGuard (`shared/security/auth.guard.ts`) verifies before a handler runs. Each handler calls
 * one use case and maps the account to a DTO through `toUserDto`'s field list.
 */
@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly register: RegisterUser,
    private readonly read: ReadUsers,
    private readonly renameUser: RenameUser,
    private readonly changeUserPassword: ChangePassword,
    private readonly deleteAccount: DeleteAccount,
  ) {}

  @Public()
  @Post()
  @ApiOperation({
    operationId: 'signUp',
    summary: 'Sign up',
    description: 'Creates an account with the role `user`. The email is unique in any letter case.',
  })
  @ApiCreatedResponse({
    type: UserDto,
    description: 'Signed up; `Location` names the user',
    headers: { Location: LOCATION_HEADER },
  })
  @ApiProblem('The email is taken, in any letter case', new EmailTaken())
  async signUp(
    @Body() body: CreateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    const user = await this.register.execute(body);
    void reply.status(201).header('location', `/api/users/${user.id}`);
    return toUserDto(user);
  }

  @Get('me')
  @ApiOperation({
    operationId: 'getMe',
    summary: 'Your account',
    description: "The caller's own account, with its order summary (within 5 seconds).",
  })
  @ApiOkResponse({ type: UserDto, description: 'The account' })
  async me(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return toUserDto(await this.read.me(principal));
  }

  @Patch('me')
  @ApiOperation({
    operationId: 'renameMe',
    summary: 'Change your name',
    description: "Changes the caller's name.",
  })
  @ApiOkResponse({ type: UserDto, description: 'The account, renamed' })
  async rename(
    @CurrentPrincipal() principal: Principal,
    @Body() body: UpdateProfileDto,
  ): Promise<UserDto> {
    return toUserDto(await this.renameUser.execute(principal, body.name));
  }

  @Post('me/password')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'changeMyPassword',
    summary: 'Change your password',
    description:
      'Changes the password, given the current one; every session of the user is revoked ' +
      '(their tokens fail within one second), so the caller logs in again.',
  })
  @ApiNoContentResponse({ description: 'Changed; every session of the user is revoked' })
  @ApiProblem(
    'No valid access token, or the current password is wrong',
    new Unauthenticated(),
    new WrongPassword(),
  )
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    return this.changeUserPassword.execute(principal, body.currentPassword, body.newPassword);
  }

  @Delete('me')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteMe',
    summary: 'Delete your account',
    description:
      "Deletes the caller's account: its sessions are revoked and its pending and confirmed " +
      'orders cancelled.',
  })
  @ApiNoContentResponse({ description: 'Deleted; sessions revoked, open orders cancelled' })
  deleteMe(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.deleteAccount.execute(principal);
  }

  @RequireRoles('admin')
  @Get()
  @ApiOperation({
    operationId: 'listUsers',
    summary: 'List users (admin)',
    description: 'A page of every account, newest first; for admins only.',
  })
  @ApiOkResponse({ type: UserPageDto, description: 'A page of users' })
  @ApiProblem('The caller is not an admin', new Forbidden())
  async list(@Query() query: PageQuery): Promise<Page<UserDto>> {
    const users = await this.read.list(query.limit, decodeCursor(query.cursor));
    return toPage(users, query.limit, toUserDto);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getUser',
    summary: 'A user by id',
    description:
      "The account with this id: the caller's own, or any for an admin. Anyone else gets 404, " +
      'so whether the account exists is not revealed.',
  })
  @ApiIdParam('The user')
  @ApiOkResponse({ type: UserDto, description: 'The account' })
  @ApiProblem('No such user, or not one the caller may see', new UserNotFound())
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: undefined })) id: string,
  ): Promise<UserDto> {
    return toUserDto(await this.read.get(principal, id));
  }
}
