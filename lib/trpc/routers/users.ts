import { adminProcedure, createTRPCRouter } from "@/lib/trpc/init";
import { createUser } from "@/lib/server/users/create-user";
import {
  listUsers,
  resetUserPassword,
  setUserDisabled,
  setUserRole,
} from "@/lib/server/users/manage-users";
import { ZCreateUser, ZResetPassword, ZSetDisabled, ZSetRole } from "@/lib/shared/users";

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
});
