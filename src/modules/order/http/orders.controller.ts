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
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiIdParam,
  LOCATION_HEADER,
  textSchema,
  type TextRule,
} from '../../../shared/http/api-fields';
import { ApiProblem } from '../../../shared/http/api-problems';
import { Forbidden } from '../../../shared/kernel/domain-error';
import {
  IdempotencyKeyReused,
  InvalidStatusTransition,
  OrderNotCancellable,
  OrderNotFound,
} from '../order.errors';
import type { FastifyReply } from 'fastify';
import type { Page } from '../../../shared/kernel/page';
import { decodeCursor, toPage } from '../../../shared/http/pagination';
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

/** The `Idempotency-Key` request header: 1..255 visible ASCII characters. */
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const IDEMPOTENCY_KEY: TextRule = {
  minLength: 1,
  maxLength: 255,
  pattern: IDEMPOTENCY_KEY_PATTERN,
  example: '6f1c0b9e-order-2026-01-31',
};
const uuid = new ParseUUIDPipe({ version: undefined });

/**
 * /api/orders. Every route needs a bearer token: the global AuthGuard
 * (`shared/security/auth.guard.ts`, bound in SecurityModule) verifies it and puts the caller's
 * Principal on the request before any handler here runs; `@RequireRoles` narrows a route.
 * Bodies and queries are validated against the DTOs at the edge; each handler calls one use case
 * and maps its domain result to a DTO.
 */
@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly placeOrder: PlaceOrder,
    private readonly read: ReadOrders,
    private readonly cancelOrder: CancelOrder,
    private readonly changeOrderStatus: ChangeOrderStatus,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'placeOrder',
    summary: 'Place an order',
    description:
      'Places an order of 1 to 100 items for the caller, `status: "pending"`; `totalCents` is ' +
      'the exact sum of quantity × unit price. With an `Idempotency-Key`, a retry is safe.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      '1 to 255 visible ASCII characters (else 400). The same key with the same body from the ' +
      'same user within 24 hours answers the first answer again (same status, same order) ' +
      'with `Idempotent-Replayed: true`, and creates nothing; the same key with another body ' +
      'gets 422; concurrent requests with one key create exactly one order.',
    schema: textSchema(IDEMPOTENCY_KEY),
  })
  @ApiCreatedResponse({
    type: OrderDto,
    description: 'Created (or replayed: `Idempotent-Replayed: true`)',
    headers: {
      Location: LOCATION_HEADER,
      'Idempotent-Replayed': {
        description: 'Present when this is the first answer to the same Idempotency-Key again',
        required: false,
        schema: { type: 'string', enum: ['true'] },
      },
    },
  })
  @ApiProblem(
    'The Idempotency-Key was used with a different request body',
    new IdempotencyKeyReused(),
  )
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
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
  @ApiOperation({
    operationId: 'listOrders',
    summary: 'List your orders',
    description: "A page of the caller's own orders, newest first, optionally of one status.",
  })
  @ApiOkResponse({ type: OrderPageDto, description: 'A page of orders' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOrdersQuery,
  ): Promise<Page<OrderDto>> {
    const cursor = decodeCursor(query.cursor);
    const rows = await this.read.list(principal, query.limit, query.status, cursor);
    return toPage(rows, query.limit, toOrderDto);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getOrder',
    summary: 'An order by id',
    description:
      "The order with this id: the caller's own, or any for an admin. Anyone else gets 404, " +
      'so whether it exists is not revealed.',
  })
  @ApiIdParam('The order')
  @ApiOkResponse({ type: OrderDto, description: 'The order' })
  @ApiProblem('No such order, or not one the caller may see', new OrderNotFound())
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid) id: string,
  ): Promise<OrderDto> {
    return toOrderDto(await this.read.visible(principal, id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelOrder',
    summary: 'Cancel an order',
    description: 'Cancels a pending or confirmed order; by its owner, or an admin.',
  })
  @ApiIdParam('The order')
  @ApiOkResponse({ type: OrderDto, description: 'The order, `status: "cancelled"`' })
  @ApiProblem('No such order, or not one the caller may see', new OrderNotFound())
  @ApiProblem('The order is neither pending nor confirmed', new OrderNotCancellable('shipped'))
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid) id: string,
  ): Promise<OrderDto> {
    return toOrderDto(await this.cancelOrder.execute(principal, id));
  }

  @RequireRoles('admin')
  @Patch(':id/status')
  @ApiOperation({
    operationId: 'changeOrderStatus',
    summary: 'Move an order on (admin)',
    description:
      'Sets the next status of pending → confirmed → shipped → delivered; for admins only.',
  })
  @ApiIdParam('The order')
  @ApiOkResponse({ type: OrderDto, description: 'The order, in its new status' })
  @ApiProblem('The caller is not an admin', new Forbidden())
  @ApiProblem('No such order', new OrderNotFound())
  @ApiProblem(
    'The status is not the next step of pending → confirmed → shipped → delivered',
    new InvalidStatusTransition('pending', 'shipped'),
  )
  async changeStatus(
    @Param('id', uuid) id: string,
    @Body() body: ChangeStatusDto,
  ): Promise<OrderDto> {
    return toOrderDto(await this.changeOrderStatus.execute(id, body.status));
  }
}
