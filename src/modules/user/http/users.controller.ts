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
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { decodeCursor, PageQuery, type Page, toPage } from '../../../shared/http/pagination';
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
  @ApiCreatedResponse({ type: UserDto, description: 'Signed up; `Location` names the user' })
  async signUp(
    @Body() body: CreateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    const user = await this.register.execute(body);
    void reply.status(201).header('location', `/api/users/${user.id}`);
    return toUserDto(user);
  }

  @ApiBearerAuth()
  @Get('me')
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return toUserDto(await this.read.me(principal));
  }

  @ApiBearerAuth()
  @Patch('me')
  @ApiOkResponse({ type: UserDto })
  async rename(
    @CurrentPrincipal() principal: Principal,
    @Body() body: UpdateProfileDto,
  ): Promise<UserDto> {
    return toUserDto(await this.renameUser.execute(principal, body.name));
  }

  @ApiBearerAuth()
  @Post('me/password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Changed; every session of the user is revoked' })
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    return this.changeUserPassword.execute(principal, body.currentPassword, body.newPassword);
  }

  @ApiBearerAuth()
  @Delete('me')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; sessions revoked, open orders cancelled' })
  deleteMe(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.deleteAccount.execute(principal);
  }

  @ApiBearerAuth()
  @RequireRoles('admin')
  @Get()
  @ApiOkResponse({ type: UserPageDto })
  async list(@Query() query: PageQuery): Promise<Page<UserDto>> {
    const rows = await this.read.list(query.limit, decodeCursor(query.cursor));
    return toPage(rows, query.limit, toUserDto);
  }

  @ApiBearerAuth()
  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: undefined })) id: string,
  ): Promise<UserDto> {
    return toUserDto(await this.read.get(principal, id));
  }
}
