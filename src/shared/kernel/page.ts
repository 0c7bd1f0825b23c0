/** A position in a newest-first listing: (createdAt, id) of the last item seen. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

/** One page of a listing, and where the next one starts (`null`: none). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
