import { ApiProperty } from '@nestjs/swagger';
import { ID, integerSchema, textSchema, TIME } from '../../../shared/http/api-fields';
import { CURSOR, PAGE_LIMIT } from '../../../shared/http/pagination';
import { ROLES, type Role } from '../../../shared/security/security.contract';
import type { User } from '../user';
import { EMAIL, NAME, ORDER_COUNT } from './user-fields';

export class OrderSummaryDto {
  @ApiProperty(integerSchema({ ...ORDER_COUNT, description: 'Orders the user ever placed' }))
  total!: number;
  @ApiProperty(
    integerSchema({ ...ORDER_COUNT, description: 'Orders pending, confirmed or shipped' }),
  )
  open!: number;
}

export class UserDto {
  @ApiProperty(textSchema(ID)) id!: string;
  @ApiProperty(textSchema(EMAIL)) email!: string;
  @ApiProperty(textSchema(NAME)) name!: string;
  @ApiProperty({
    enum: ROLES,
    isArray: true,
    minItems: 1,
    maxItems: ROLES.length,
    uniqueItems: true,
  })
  roles!: Role[];
  @ApiProperty({ type: OrderSummaryDto }) orderSummary!: OrderSummaryDto;
  @ApiProperty(textSchema(TIME)) createdAt!: string;
  @ApiProperty(textSchema(TIME)) updatedAt!: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto], maxItems: PAGE_LIMIT.maximum }) items!: UserDto[];
  @ApiProperty({ ...textSchema(CURSOR), nullable: true }) nextCursor!: string | null;
}

/** The only way an account becomes a response: an explicit field list. */
export function toUserDto(user: User): UserDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: user.roles,
    orderSummary: { total: user.ordersTotal, open: user.ordersOpen },
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
