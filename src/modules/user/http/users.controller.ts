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
import { PageQuery, type Page } from '../../../shared/http/pagination';
import { CurrentPrincipal, Public, RequireRoles } from '../../../shared/security/auth.guard';
import type { Principal } from '../../../shared/security/security.contract';
import { UsersService } from '../users.service';
import { UserDto, UserPageDto } from './user.dto';
import { ChangePasswordDto, CreateUserDto, UpdateProfileDto } from './user-requests.dto';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post()
  @ApiCreatedResponse({ type: UserDto, description: 'Signed up; `Location` names the user' })
  async signUp(
    @Body() body: CreateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    const user = await this.users.register(body);
    void reply.status(201).header('location', `/api/users/${user.id}`);
    return user;
  }

  @ApiBearerAuth()
  @Get('me')
  @ApiOkResponse({ type: UserDto })
  me(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return this.users.me(principal);
  }

  @ApiBearerAuth()
  @Patch('me')
  @ApiOkResponse({ type: UserDto })
  rename(
    @CurrentPrincipal() principal: Principal,
    @Body() body: UpdateProfileDto,
  ): Promise<UserDto> {
    return this.users.rename(principal, body.name);
  }

  @ApiBearerAuth()
  @Post('me/password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Changed; every session of the user is revoked' })
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    return this.users.changePassword(principal, body);
  }

  @ApiBearerAuth()
  @Delete('me')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; sessions revoked, open orders cancelled' })
  deleteMe(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.users.deleteAccount(principal);
  }

  @ApiBearerAuth()
  @RequireRoles('admin')
  @Get()
  @ApiOkResponse({ type: UserPageDto })
  list(@Query() query: PageQuery): Promise<Page<UserDto>> {
    return this.users.list(query.limit, query.cursor);
  }

  @ApiBearerAuth()
  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: undefined })) id: string,
  ): Promise<UserDto> {
    return this.users.get(principal, id);
  }
}
