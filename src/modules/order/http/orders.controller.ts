import {
  Body,
  Controller,
  Get,
  Headers,
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
  ApiHeader,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { decodeCursor, type Page, toPage } from '../../../shared/http/pagination';
import { ValidationFailed } from '../../../shared/http/validation';
import { CurrentPrincipal, RequireRoles } from '../../../shared/security/auth.guard';
import type { Principal } from '../../../shared/security/security.contract';
import { CancelOrder } from '../change-order/cancel-order';
import { ChangeOrderStatus } from '../change-order/change-status';
import { PlaceOrder } from '../place-order/place-order';
import { ReadOrders } from '../read-orders/read-orders';
import {
  ChangeStatusDto,
  CreateOrderDto,
  ListOrdersQuery,
  OrderDto,
  OrderPageDto,
  toOrderDto,
} from './order.dto';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const uuid = new ParseUUIDPipe({ version: undefined });

/**
 * /api/orders. Every route needs a bearer token: the global AuthGuard
 * (`shared/security/auth.guard.ts`, bound in SecurityModule) verifies it and puts the caller's
 * Principal on the request before any handler here runs; `@RequireRoles` narrows a route.
 * Bodies and queries are validated against the DTOs at the edge; each handler calls one use case
 * and maps its domain result to a DTO.
 */
@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly placeOrder: PlaceOrder,
    private readonly read: ReadOrders,
    private readonly cancelOrder: CancelOrder,
    private readonly changeOrderStatus: ChangeOrderStatus,
  ) {}

  @Post()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1..255 visible ASCII characters',
  })
  @ApiCreatedResponse({
    type: OrderDto,
    description: 'Created (or replayed: `Idempotent-Replayed: true`)',
  })
  @ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with a different body' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationFailed([
        { field: 'Idempotency-Key', message: 'must be 1..255 visible ASCII characters' },
      ]);
    }
    const { order, replayed } = await this.placeOrder.execute(principal, body, idempotencyKey);
    void reply.status(201).header('location', `/api/orders/${order.id}`);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return toOrderDto(order);
  }

  @Get()
  @ApiOkResponse({ type: OrderPageDto })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOrdersQuery,
  ): Promise<Page<OrderDto>> {
    const cursor = decodeCursor(query.cursor);
    const rows = await this.read.list(principal, query.limit, query.status, cursor);
    return toPage(rows, query.limit, toOrderDto);
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid) id: string,
  ): Promise<OrderDto> {
    return toOrderDto(await this.read.visible(principal, id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderDto })
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid) id: string,
  ): Promise<OrderDto> {
    return toOrderDto(await this.cancelOrder.execute(principal, id));
  }

  @RequireRoles('admin')
  @Patch(':id/status')
  @ApiOkResponse({ type: OrderDto })
  async changeStatus(
    @Param('id', uuid) id: string,
    @Body() body: ChangeStatusDto,
  ): Promise<OrderDto> {
    return toOrderDto(await this.changeOrderStatus.execute(id, body.status));
  }
}
