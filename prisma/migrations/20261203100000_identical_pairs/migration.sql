-- AlterEnum
ALTER TYPE "ComparisonStatus" ADD VALUE 'dropped';

-- AlterTable
ALTER TABLE "comparison" ADD COLUMN     "identical" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "resamples" INTEGER NOT NULL DEFAULT 0;

-- Pairs stored before this migration: mark those whose responses are equal after whitespace
-- normalisation (the rule of lib/shared/pairs.ts, whitespace runs → one space, trimmed).
UPDATE "comparison" SET "identical" = true
WHERE "status" IN ('ready', 'complete')
  AND btrim(regexp_replace("responseA", '\s+', ' ', 'g')) = btrim(regexp_replace("responseB", '\s+', ' ', 'g'));
