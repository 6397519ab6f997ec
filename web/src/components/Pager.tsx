// Server-side paging controls: the range shown, first/previous/next/last, and page size.
import { count } from "../format";

interface Props {
  label: string;
  offset: number;
  limit: number;
  total: number;
  onOffset: (offset: number) => void;
  onLimit: (limit: number) => void;
  sizes?: number[];
}

export function Pager({ label, offset, limit, total, onOffset, onLimit, sizes = [10, 25, 50, 100] }: Props) {
  const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const range = total === 0 ? "0" : `${count(offset + 1)}–${count(Math.min(offset + limit, total))}`;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <span className="pager-range" aria-live="polite">
        {range} of {count(total)}
      </span>
      <div className="pager-buttons">
        <button type="button" className="button button-small" onClick={() => onOffset(0)} disabled={offset === 0} aria-label="First page">
          «
        </button>
        <button
          type="button"
          className="button button-small"
          onClick={() => onOffset(Math.max(0, offset - limit))}
          disabled={offset === 0}
          aria-label="Previous page"
        >
          ‹ Previous
        </button>
        <span className="pager-page">
          Page {count(page)} of {count(pages)}
        </span>
        <button
          type="button"
          className="button button-small"
          onClick={() => onOffset(offset + limit)}
          disabled={offset + limit >= total}
          aria-label="Next page"
        >
          Next ›
        </button>
        <button type="button" className="button button-small" onClick={() => onOffset(last)} disabled={offset >= last} aria-label="Last page">
          »
        </button>
      </div>
      <label className="pager-size">
        <span>Per page</span>
        <select
          value={limit}
          onChange={(event) => {
            // A new page size starts again from the first page.
            onLimit(Number(event.target.value));
            onOffset(0);
          }}
        >
          {sizes.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
