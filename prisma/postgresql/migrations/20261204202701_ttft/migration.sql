-- AlterTable
ALTER TABLE "MetricBucket" ADD COLUMN     "ttftSketch" TEXT;
