-- AlterTable
ALTER TABLE "job" ADD COLUMN     "log" TEXT[] DEFAULT ARRAY[]::TEXT[];
