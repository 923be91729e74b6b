-- CreateEnum
CREATE TYPE "AssignmentSource" AS ENUM ('own', 'overlap', 'gold');

-- AlterTable
ALTER TABLE "assignment" ADD COLUMN     "leaseExpiresAt" TIMESTAMP(3) NOT NULL,
ADD COLUMN     "source" "AssignmentSource" NOT NULL DEFAULT 'own';

-- AlterTable
ALTER TABLE "comparison" DROP COLUMN "overlapOf",
ADD COLUMN     "annotationsWanted" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "error" TEXT;

-- CreateIndex
CREATE INDEX "assignment_annotatorId_status_idx" ON "assignment"("annotatorId", "status");
