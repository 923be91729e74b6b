// The admin pages' table: a header row, an optional message row (loading, empty), the rows.
import type { ReactNode } from "react";

export function DataTable({
  testId,
  headers,
  message,
  children,
  className = "",
}: {
  testId: string;
  headers: string[];
  /** Shown as the only row's text when set (e.g. "Loading…" or what to do when empty). */
  message?: ReactNode;
  children?: ReactNode;
  className?: string;
}) {
  return (
    <div className={`overflow-x-auto rounded-lg border border-slate-200 bg-white ${className}`}>
      <table className="w-full text-left text-sm" data-testid={testId}>
        <thead className="bg-slate-50 text-slate-600">
          <tr>
            {headers.map((h) => (
              <th key={h} className="px-4 py-2 font-medium">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {message && (
            <tr>
              <td colSpan={headers.length} className="px-4 py-3 text-slate-600">
                {message}
              </td>
            </tr>
          )}
          {children}
        </tbody>
      </table>
    </div>
  );
}
