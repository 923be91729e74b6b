// Domain errors carry a code the tRPC layer maps to an HTTP-ish status, and a message for people.
export type TDomainErrorCode = "NOT_FOUND" | "CONFLICT" | "BAD_REQUEST" | "FORBIDDEN";

export class DomainError extends Error {
  constructor(
    readonly code: TDomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
