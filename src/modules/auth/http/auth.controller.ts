import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, Public } from '../../../shared/security/auth.guard';
import type { JwksDto, Principal } from '../../../shared/security/security.contract';
import { Login } from '../login/login';
import { Logout } from '../logout/logout';
import { RefreshSession } from '../refresh/refresh-session';
import { SigningKeys } from '../signing-keys';
import type { TokenPair } from '../tokens';
import { JwksResponseDto, LoginDto, RefreshTokenDto, TokenPairDto } from './auth-requests.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly loginSession: Login,
    private readonly refreshSession: RefreshSession,
    private readonly logoutSession: Logout,
    private readonly keys: SigningKeys,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenPairDto })
  @ApiTooManyRequestsResponse({
    description: 'Locked out after repeated failures; see Retry-After',
  })
  login(@Body() body: LoginDto): Promise<TokenPair> {
    return this.loginSession.execute(body.email, body.password);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenPairDto, description: 'A new pair; the presented token is spent' })
  refresh(@Body() body: RefreshTokenDto): Promise<TokenPair> {
    return this.refreshSession.execute(body.refreshToken);
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "That session's refresh token fails from now on" })
  logout(@CurrentPrincipal() principal: Principal, @Body() body: RefreshTokenDto): Promise<void> {
    return this.logoutSession.execute(principal, body.refreshToken);
  }

  @Public()
  @Get('jwks')
  @ApiOkResponse({ type: JwksResponseDto })
  jwks(): JwksDto {
    return this.keys.jwks;
  }
}
