import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { type IntegerRule, integerSchema, type TextRule, TextField } from './api-fields';
import type { Cursor, Page } from '../kernel/page';
import { ValidationFailed } from './validation';

/** How many items a page holds: `?limit=`. */
export const PAGE_LIMIT: IntegerRule = {
  minimum: 1,
  maximum: 100,
  description: 'How many items the page holds at most',
};
export const DEFAULT_PAGE_LIMIT = 20;

/** `?cursor=` and `nextCursor`: opaque, base64url, as the previous page gave it. */
export const CURSOR: TextRule = {
  minLength: 1,
  maxLength: 200,
  pattern: /^[A-Za-z0-9_-]+$/,
  patternMessage: 'cursor is not valid',
  description: 'Opaque cursor from the previous page (its `nextCursor`)',
};

/** `?limit=&cursor=` as every list route takes them. */
export class PageQuery {
  @ApiPropertyOptional({ ...integerSchema(PAGE_LIMIT), default: DEFAULT_PAGE_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(PAGE_LIMIT.minimum)
  @Max(PAGE_LIMIT.maximum)
  limit: number = DEFAULT_PAGE_LIMIT;

  @TextField(CURSOR, { optional: true })
  cursor?: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  const [iso, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new ValidationFailed([{ field: 'cursor', message: 'cursor is not valid' }]);
  }
  return { createdAt, id };
}

/** Builds a page from `limit + 1` rows fetched newest first. */
export function toPage<Row extends { createdAt: Date; id: string }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}
