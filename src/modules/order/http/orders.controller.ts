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
import type { Page } from '../../../shared/http/pagination';
import { ValidationFailed } from '../../../shared/http/validation';
import { CurrentPrincipal, RequireRoles } from '../../../shared/security/auth.guard';
import type { Principal } from '../../../shared/security/security.contract';
import { OrdersService } from '../orders.service';
import {
  ChangeStatusDto,
  CreateOrderDto,
  ListOrdersQuery,
  OrderDto,
  OrderPageDto,
} from './order.dto';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const uuid = new ParseUUIDPipe({ version: undefined });

@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

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
    const { order, replayed } = await this.orders.place(principal, body, idempotencyKey);
    void reply.status(201).header('location', `/api/orders/${order.id}`);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return order;
  }

  @Get()
  @ApiOkResponse({ type: OrderPageDto })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOrdersQuery,
  ): Promise<Page<OrderDto>> {
    return this.orders.list(principal, query.limit, query.status, query.cursor);
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string): Promise<OrderDto> {
    return this.orders.get(principal, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderDto })
  cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid) id: string,
  ): Promise<OrderDto> {
    return this.orders.cancel(principal, id);
  }

  @RequireRoles('admin')
  @Patch(':id/status')
  @ApiOkResponse({ type: OrderDto })
  changeStatus(@Param('id', uuid) id: string, @Body() body: ChangeStatusDto): Promise<OrderDto> {
    return this.orders.changeStatus(id, body.status);
  }
}
