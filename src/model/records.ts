// What a node's journal records say, as the model applies them to metadata
// (model/metadata.ts). Their encoding on disk is the journal's (journal/format.ts).

export type JournalRecord =
  | {seq: number; tx: number; op: 'set'; key: string; value: string}
  | {seq: number; tx: number; op: 'del'; key: string}
  | {seq: number; tx: number; op: 'commit'; n: number}

/** A record that changes a key (set or del); a commit only closes a transaction. */
export type DataRecord = Extract<JournalRecord, {op: 'set' | 'del'}>
