// The shape of the generated protobuf field table (table.ts, made by scripts/gen-proto-table.ts).

/** [field number, JSON name, type, flags, map value type (maps only)]. */
export type ProtoRow = readonly [number, string, string, number] | readonly [number, string, string, number, string];

export interface ProtoTable {
  /** `apiVersion/Kind` -> message name (e.g. `apps/v1/Deployment` -> `apps.v1.Deployment`). */
  readonly kinds: Readonly<Record<string, string>>;
  /** message name -> its fields. */
  readonly messages: Readonly<Record<string, readonly ProtoRow[]>>;
}

export const FLAG_REPEATED = 1;
export const FLAG_POINTER = 2;
export const FLAG_OMITEMPTY = 4;
export const FLAG_INLINE = 8;
