"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/client/trpc";
import { issuesMessage } from "@/lib/shared/messages";
import { ROLES, type TRole } from "@/lib/shared/roles";
import { ZCreateUser, ZPassword } from "@/lib/shared/users";
import { AccountActionsCell, Notice } from "../account-actions";
import { DataTable } from "../data-table";

export function UsersPanel({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  // Each new action clears what the last one said (a notice, a row's error).
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: refresh }));
  const setRole = useMutation(
    trpc.users.setRole.mutationOptions({ onSuccess: refresh, onMutate: () => setNotice(null) }),
  );
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({ onSuccess: refresh, onMutate: () => setNotice(null) }),
  );
  const resetPassword = useMutation(trpc.users.resetPassword.mutationOptions());
  const rowError = setRole.error ?? setDisabled.error ?? resetPassword.error;
  const fresh = () => {
    setNotice(null);
    for (const m of [setRole, setDisabled, resetPassword]) m.reset();
  };

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    fresh();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const parsed = ZCreateUser.safeParse({
      name: form.get("name"),
      email: form.get("email"),
      password: form.get("password"),
      role: form.get("role"),
    });
    if (!parsed.success) {
      setFormError(issuesMessage(parsed.error.issues));
      return;
    }
    setFormError(null);
    try {
      const user = await create.mutateAsync(parsed.data);
      setNotice(`Created ${user.email} (${user.role}).`);
      formEl.reset();
    } catch (error) {
      setFormError(error instanceof Error ? error.message : String(error));
    }
  }

  function onReset(userId: string, email: string) {
    const password = window.prompt(`New password for ${email} (at least 8 characters)`);
    if (password === null) return;
    fresh();
    const parsed = ZPassword.safeParse(password);
    if (!parsed.success) {
      setNotice(issuesMessage(parsed.error.issues));
      return;
    }
    resetPassword.mutate(
      { userId, password },
      { onSuccess: () => setNotice(`Password of ${email} was reset.`) },
    );
  }

  return (
    <section aria-labelledby="users-title" className="space-y-8">
      <h1 id="users-title" className="text-2xl font-semibold">
        Users
      </h1>

      <form
        onSubmit={onCreate}
        noValidate
        aria-labelledby="create-user-title"
        className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-5"
      >
        <h2 id="create-user-title" className="font-medium md:col-span-5">
          Create a user
        </h2>
        <label className="text-sm">
          Name
          <input
            name="name"
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
        <label className="text-sm">
          Email
          <input
            name="email"
            type="email"
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
        <label className="text-sm">
          Password
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          />
        </label>
        <label className="text-sm">
          Role
          <select
            name="role"
            defaultValue="annotator"
            className="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5"
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <div className="flex items-end">
          <button
            type="submit"
            disabled={create.isPending}
            className="w-full rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            Create user
          </button>
        </div>
        {formError && (
          <p data-testid="create-user-error" className="text-sm text-red-700 md:col-span-5">
            {formError}
          </p>
        )}
      </form>

      {notice && <Notice testId="users-notice">{notice}</Notice>}
      {rowError && (
        <p className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">{rowError.message}</p>
      )}

      <DataTable
        testId="users-table"
        headers={["Name", "Email", "Role", "Status", "Actions"]}
        message={users.isLoading ? "Loading…" : null}
      >
        {users.data?.map((u) => (
          <tr key={u.id} className="border-t border-slate-100">
            <td className="px-4 py-2">{u.name}</td>
            <td className="px-4 py-2">{u.email}</td>
            <td className="px-4 py-2">
              <label className="sr-only" htmlFor={`role-${u.id}`}>
                Role of {u.email}
              </label>
              <select
                id={`role-${u.id}`}
                value={u.role}
                disabled={u.id === meId}
                onChange={(e) => setRole.mutate({ userId: u.id, role: e.target.value as TRole })}
                className="rounded-md border border-slate-300 px-2 py-1"
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </td>
            <td className="px-4 py-2">{u.banned ? "disabled" : "active"}</td>
            <AccountActionsCell
              className="space-x-2 px-4 py-2"
              disabled={!!u.banned}
              canDisable={u.id !== meId}
              onToggleDisabled={() => setDisabled.mutate({ userId: u.id, disabled: !u.banned })}
              onResetPassword={() => onReset(u.id, u.email)}
            />
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
