-- CreateEnum
CREATE TYPE "DemonstrationStatus" AS ENUM ('pending', 'approved', 'rejected');

-- CreateTable
CREATE TABLE "demonstration" (
    "id" TEXT NOT NULL,
    "roundId" TEXT NOT NULL,
    "promptId" TEXT NOT NULL,
    "annotatorId" TEXT NOT NULL,
    "axis" "Axis" NOT NULL,
    "messages" JSONB NOT NULL,
    "sourceSample" TEXT,
    "sourceModelId" TEXT,
    "sourceSampling" JSONB,
    "status" "DemonstrationStatus" NOT NULL DEFAULT 'pending',
    "reviewerId" TEXT,
    "reason" TEXT,
    "editedMessages" JSONB,
    "reviewedAt" TIMESTAMP(3),
    "contentHash" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "timeSpentMs" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "demonstration_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "demonstration_contentHash_key" ON "demonstration"("contentHash");

-- CreateIndex
CREATE INDEX "demonstration_status_reviewedAt_id_idx" ON "demonstration"("status", "reviewedAt", "id");

-- CreateIndex
CREATE INDEX "demonstration_roundId_status_idx" ON "demonstration"("roundId", "status");

-- CreateIndex
CREATE INDEX "demonstration_createdAt_id_idx" ON "demonstration"("createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "demonstration_annotatorId_idempotencyKey_key" ON "demonstration"("annotatorId", "idempotencyKey");

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_promptId_fkey" FOREIGN KEY ("promptId") REFERENCES "prompt"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_annotatorId_fkey" FOREIGN KEY ("annotatorId") REFERENCES "user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_sourceModelId_fkey" FOREIGN KEY ("sourceModelId") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_reviewerId_fkey" FOREIGN KEY ("reviewerId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
