import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  ValidateNested,
} from 'class-validator';
import {
  ID,
  IntegerField,
  integerSchema,
  type IntegerRule,
  TextField,
  textSchema,
  type TextRule,
  TIME,
} from '../../../shared/http/api-fields';
import { CURSOR, PageQuery, PAGE_LIMIT } from '../../../shared/http/pagination';
import { ORDER_STATUSES, type OrderStatus } from '../order.contract';
import type { Order } from '../order';

/** An order's fields, with the limits placing an order enforces. */
const SKU: TextRule = {
  minLength: 1,
  maxLength: 64,
  pattern: /^[A-Za-z0-9_-]{1,64}$/,
  patternMessage: 'sku must be 1..64 of A-Z, a-z, 0-9, _ and -',
  example: 'SKU-1',
};
const ITEM_NAME: TextRule = { minLength: 1, maxLength: 200, example: 'A book' };
const QUANTITY: IntegerRule = { minimum: 1, maximum: 1000, example: 1 };
const UNIT_PRICE_CENTS: IntegerRule = {
  minimum: 0,
  maximum: 100_000_000,
  description: 'Integer minor units',
  example: 1250,
};
const CURRENCY: TextRule = {
  minLength: 3,
  maxLength: 3,
  pattern: /^[A-Z]{3}$/,
  patternMessage: 'currency must be three upper-case letters',
  description: 'ISO 4217 style: three upper-case letters',
  example: 'EUR',
};
const ITEMS = { minItems: 1, maxItems: 100 };
const TOTAL_CENTS: IntegerRule = {
  minimum: 0,
  maximum: ITEMS.maxItems * QUANTITY.maximum * UNIT_PRICE_CENTS.maximum,
  description: 'Exact integer sum of quantity × unitPriceCents',
};

export class OrderItemDto {
  @TextField(SKU)
  sku!: string;

  @TextField(ITEM_NAME)
  name!: string;

  @IntegerField(QUANTITY)
  quantity!: number;

  @IntegerField(UNIT_PRICE_CENTS)
  unitPriceCents!: number;
}

export class CreateOrderDto {
  @ApiProperty({ type: [OrderItemDto], ...ITEMS })
  @IsArray()
  @ArrayMinSize(ITEMS.minItems)
  @ArrayMaxSize(ITEMS.maxItems)
  // Each item an object: ValidateNested alone would walk an inner array and pass `[[]]`.
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];

  @TextField(CURRENCY)
  currency!: string;
}

export class ChangeStatusDto {
  @ApiProperty({ enum: ORDER_STATUSES })
  @IsIn(ORDER_STATUSES)
  status!: OrderStatus;
}

export class ListOrdersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ORDER_STATUSES, description: 'Only orders in this status' })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;
}

export class OrderResponseItemDto {
  @ApiProperty(textSchema(SKU)) sku!: string;
  @ApiProperty(textSchema(ITEM_NAME)) name!: string;
  @ApiProperty(integerSchema(QUANTITY)) quantity!: number;
  @ApiProperty(integerSchema(UNIT_PRICE_CENTS)) unitPriceCents!: number;
}

export class OrderDto {
  @ApiProperty(textSchema(ID)) id!: string;
  @ApiProperty(textSchema({ ...ID, description: 'The owner' })) userId!: string;
  @ApiProperty({ type: [OrderResponseItemDto], ...ITEMS }) items!: OrderResponseItemDto[];
  @ApiProperty(integerSchema(TOTAL_CENTS)) totalCents!: number;
  @ApiProperty(textSchema(CURRENCY)) currency!: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status!: OrderStatus;
  @ApiProperty(textSchema(TIME)) createdAt!: string;
  @ApiProperty(textSchema(TIME)) updatedAt!: string;
}

export class OrderPageDto {
  @ApiProperty({ type: [OrderDto], maxItems: PAGE_LIMIT.maximum }) items!: OrderDto[];
  @ApiProperty({ ...textSchema(CURSOR), nullable: true }) nextCursor!: string | null;
}

export function toOrderDto(order: Order): OrderDto {
  return {
    id: order.id,
    userId: order.userId,
    items: order.items.map(({ sku, name, quantity, unitPriceCents }) => ({
      sku,
      name,
      quantity,
      unitPriceCents,
    })),
    totalCents: order.totalCents,
    currency: order.currency,
    status: order.status,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
