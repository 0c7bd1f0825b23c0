import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '../../../shared/security/security.contract';
import type { UserRow } from '../persistence/user.row';

export class OrderSummaryDto {
  @ApiProperty({ description: 'Orders the user ever placed' }) total!: number;
  @ApiProperty({ description: 'Orders pending, confirmed or shipped' }) open!: number;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'email' }) email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['user', 'admin'], isArray: true }) roles!: Role[];
  @ApiProperty({ type: OrderSummaryDto }) orderSummary!: OrderSummaryDto;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

/** The only way a user row becomes a response: an explicit field list. */
export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles as Role[],
    orderSummary: { total: row.ordersTotal, open: row.ordersOpen },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
