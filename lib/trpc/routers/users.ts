import { adminProcedure, createTRPCRouter } from "@/lib/trpc/init";
import { createUser } from "@/lib/server/users/create-user";
import {
  listUsers,
  resetUserPassword,
  setUserDisabled,
  setUserRole,
} from "@/lib/server/users/manage-users";
import { listAnnotators, resetPasswordGenerated } from "@/lib/server/users/annotators";
import { ZStatsFilter } from "@/lib/shared/review";
import { ZCreateUser, ZResetPassword, ZSetDisabled, ZSetRole, ZUserId } from "@/lib/shared/users";
import { z } from "zod";

export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(() => listUsers()),
  create: adminProcedure.input(ZCreateUser).mutation(({ input }) => createUser(input)),
  setRole: adminProcedure
    .input(ZSetRole)
    .mutation(({ ctx, input }) => setUserRole(ctx.user.id, input.userId, input.role)),
  setDisabled: adminProcedure
    .input(ZSetDisabled)
    .mutation(({ ctx, input }) =>
      setUserDisabled(ctx.user.id, input.userId, input.disabled, input.reason),
    ),
  resetPassword: adminProcedure
    .input(ZResetPassword)
    .mutation(({ input }) => resetUserPassword(input.userId, input.password)),
  /** Every annotator with count, time, gold accuracy, agreement, position bias, rejections. */
  annotators: adminProcedure.input(ZStatsFilter).query(({ input }) => listAnnotators(input)),
  /** A generated password, returned once (the audit log records the user, never the password). */
  resetPasswordGenerated: adminProcedure
    .input(z.object({ userId: ZUserId }))
    .mutation(({ input }) => resetPasswordGenerated(input.userId)),
});
