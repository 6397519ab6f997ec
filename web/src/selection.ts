// A page's selection of rows for a batch export: ids with the label each was selected
// under (so the selection survives paging, searching and sorting, which change the rows
// shown but not what the user chose).
import { useCallback, useMemo, useState } from "react";

export interface Selection {
  /** Selected ids, in the order they were selected, with their labels. */
  items: ReadonlyMap<string, string>;
  has: (id: string) => boolean;
  /** Selects (on) or deselects every [id, label] given. */
  set: (entries: [string, string][], on: boolean) => void;
  clear: () => void;
}

export function useSelection(): Selection {
  const [items, setItems] = useState<ReadonlyMap<string, string>>(() => new Map());
  const set = useCallback((entries: [string, string][], on: boolean) => {
    setItems((current) => {
      const next = new Map(current);
      for (const [id, label] of entries) {
        if (on) next.set(id, label);
        else next.delete(id);
      }
      return next;
    });
  }, []);
  const clear = useCallback(() => setItems(new Map()), []);
  return useMemo(() => ({ items, has: (id: string) => items.has(id), set, clear }), [items, set, clear]);
}

/** The state of a "select all on this page" checkbox for the ids shown. */
export function pageState(selection: Selection, ids: string[]): { checked: boolean; indeterminate: boolean } {
  const selected = ids.filter((id) => selection.has(id)).length;
  return { checked: ids.length > 0 && selected === ids.length, indeterminate: selected > 0 && selected < ids.length };
}
