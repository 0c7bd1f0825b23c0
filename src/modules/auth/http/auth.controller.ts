import { Body, Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem } from '../../../shared/http/api-problems';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import { InvalidCredentials, InvalidRefreshToken, LoginLocked } from '../auth.errors';
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
  @ApiOperation({
    operationId: 'login',
    summary: 'Log in',
    description:
      'Trades an email and password for an access token and a refresh token. An unknown email ' +
      'and a wrong password get the same 401; after 5 failures for one email within 15 ' +
      'minutes, that email is locked (429) for the rest of the window, even with the right ' +
      'password.',
  })
  @ApiOkResponse({ type: TokenPairDto, description: 'Logged in: a new session' })
  @ApiProblem('The email or password is wrong', new InvalidCredentials())
  @ApiProblem(
    'Too many requests: this email is locked after 5 failures within 15 minutes, or the ' +
      'rate limit of the client address was met; see `Retry-After`',
    new LoginLocked(900),
  )
  login(@Body() body: LoginDto): Promise<TokenPair> {
    return this.loginSession.execute(body.email, body.password);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'refreshSession',
    summary: 'Refresh a session',
    description:
      'Trades a refresh token for a new pair; the presented refresh token is spent. Presenting ' +
      'a spent refresh token again revokes its whole session, so the newer pair fails too.',
  })
  @ApiOkResponse({ type: TokenPairDto, description: 'A new pair; the presented token is spent' })
  @ApiProblem(
    'The refresh token is unknown, expired or spent (a spent one revokes its session)',
    new InvalidRefreshToken(),
  )
  refresh(@Body() body: RefreshTokenDto): Promise<TokenPair> {
    return this.refreshSession.execute(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'logout',
    summary: 'Log out',
    description:
      'Revokes the session of the refresh token: its refresh token fails from now on, and its ' +
      'access tokens within one second, on every route.',
  })
  @ApiNoContentResponse({ description: "That session's refresh token fails from now on" })
  @ApiProblem(
    "No valid access token, or the refresh token is not one of the caller's sessions",
    new Unauthenticated(),
    new InvalidRefreshToken(),
  )
  logout(@CurrentPrincipal() principal: Principal, @Body() body: RefreshTokenDto): Promise<void> {
    return this.logoutSession.execute(principal, body.refreshToken);
  }

  @Public()
  @Get('jwks')
  @ApiOperation({
    operationId: 'getJwks',
    summary: 'Public keys that verify access tokens',
    description:
      'The JSON Web Key Set (RFC 7517) of the Ed25519 key that signs access tokens, named by ' +
      'the `kid` in their header. Public keys only.',
  })
  @ApiOkResponse({ type: JwksResponseDto, description: 'The public keys' })
  // Public and the same for every caller: a verifier may keep it a few minutes (one that meets
  // a token with an unknown `kid` fetches it again), unlike every other answer (`no-store`).
  @Header('cache-control', 'public, max-age=300')
  jwks(): JwksDto {
    return this.keys.jwks;
  }
}
