"use client";
// Admins create export API keys (the secret is shown once, here), see when each was last used,
// and revoke them. The API itself is described in docs/export-api.md and /api/v1/openapi.json.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { issuesMessage } from "@/lib/shared/messages";
import { API_SCOPES, ZCreateApiKey } from "@/lib/shared/export";
import { ConfirmButton } from "../confirm-button";

const when = (d: Date | string | null) => (d ? new Date(d).toLocaleString() : "never");

export function ApiKeysPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: refresh }));
  const [formError, setFormError] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const parsed = ZCreateApiKey.safeParse({
      name: form.get("name"),
      scopes: form.getAll("scopes"),
    });
    if (!parsed.success) {
      setFormError(issuesMessage(parsed.error.issues));
      return;
    }
    setFormError(null);
    try {
      const key = await create.mutateAsync(parsed.data);
      setSecret({ name: key.name, secret: key.secret });
      setCopied(null);
      formEl.reset();
    } catch (error) {
      setFormError(error instanceof Error ? error.message : String(error));
    }
  }

  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);
  async function onCopy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  }

  return (
    <section aria-labelledby="api-keys-title" className="space-y-8">
      <div>
        <h1 id="api-keys-title" className="text-2xl font-semibold">
          API keys
        </h1>
        <p className="mt-1 text-sm text-slate-600">
          Keys for the dataset export API (<code>/api/v1</code>, see{" "}
          <a className="underline" href="/api/v1/openapi.json">
            openapi.json
          </a>
          ). Only a hash is stored: copy the secret when it is shown.
        </p>
      </div>

      <form
        onSubmit={onCreate}
        noValidate
        aria-labelledby="create-key-title"
        className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-3"
      >
        <h2 id="create-key-title" className="font-medium md:col-span-3">
          Create a key
        </h2>
        <label className="text-sm">
          Name
          <input
            name="name"
            placeholder="training cluster"
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
        <fieldset className="text-sm">
          <legend>Scopes</legend>
          {API_SCOPES.map((s) => (
            <label key={s} className="mr-4 inline-flex items-center gap-1">
              <input
                type="checkbox"
                name="scopes"
                value={s}
                defaultChecked={s !== "models:download"}
              />
              {s}
            </label>
          ))}
        </fieldset>
        <div className="flex items-end">
          <button
            type="submit"
            disabled={create.isPending}
            className="w-full rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            Create key
          </button>
        </div>
        {formError && (
          <p data-testid="create-key-error" className="text-sm text-red-700 md:col-span-3">
            {formError}
          </p>
        )}
      </form>

      {secret && (
        <div
          data-testid="new-key"
          className="space-y-2 rounded-md border border-emerald-300 bg-emerald-50 p-4 text-sm text-emerald-900"
        >
          <p>
            The secret of <strong>{secret.name}</strong>. It is shown only now: store it somewhere
            safe.
          </p>
          <code
            data-testid="new-key-secret"
            className="block break-all rounded bg-white p-2 font-mono"
          >
            {secret.secret}
          </code>
          <div className="flex flex-wrap items-center gap-2">
            <button
              type="button"
              onClick={() => void onCopy(secret.secret)}
              className="rounded-md bg-emerald-700 px-3 py-1 font-medium text-white hover:bg-emerald-800"
            >
              Copy the secret
            </button>
            <button
              type="button"
              onClick={() => setSecret(null)}
              className="rounded-md border border-emerald-400 px-3 py-1"
            >
              I have copied it
            </button>
            <span role="status" data-testid="copy-status">
              {copied === "copied"
                ? "Copied to the clipboard."
                : copied === "failed"
                  ? "The browser did not allow copying: select the secret and copy it."
                  : ""}
            </span>
          </div>
        </div>
      )}
      {revoke.error && (
        <p className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {revoke.error.message}
        </p>
      )}

      <div className="max-w-full overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-left text-sm" data-testid="api-keys-table">
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Name</th>
              <th className="px-4 py-2 font-medium">Key</th>
              <th className="px-4 py-2 font-medium">Scopes</th>
              <th className="px-4 py-2 font-medium">Created</th>
              <th className="px-4 py-2 font-medium">Last used</th>
              <th className="px-4 py-2 font-medium">Status</th>
              <th className="px-4 py-2 font-medium">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data?.length === 0 && (
              <tr>
                <td colSpan={7} className="px-4 py-3 text-slate-500">
                  No keys yet.
                </td>
              </tr>
            )}
            {keys.data?.map((k) => (
              <tr
                key={k.id}
                data-testid={`api-key-${k.name}`}
                className="border-t border-slate-100"
              >
                <td className="px-4 py-2">{k.name}</td>
                <td className="px-4 py-2 font-mono">{k.prefix}…</td>
                <td className="px-4 py-2">{k.scopes.join(", ")}</td>
                <td className="px-4 py-2">
                  {when(k.createdAt)} by {k.createdBy}
                </td>
                <td className="px-4 py-2" data-testid="last-used">
                  {when(k.lastUsedAt)}
                </td>
                <td className="px-4 py-2">
                  {k.revokedAt ? `revoked ${when(k.revokedAt)}` : "active"}
                </td>
                <td className="px-4 py-2">
                  {!k.revokedAt && (
                    <ConfirmButton
                      title={`Revoke “${k.name}”?`}
                      body="Programs using this key get 401 at once, and a revoked key cannot be restored."
                      confirmLabel="Revoke key"
                      danger
                      onConfirm={() => revoke.mutate({ id: k.id })}
                      disabled={revoke.isPending}
                      className="rounded-md border border-red-300 px-2 py-1 text-red-700 hover:bg-red-50"
                    >
                      Revoke
                    </ConfirmButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
