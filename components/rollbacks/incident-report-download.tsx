"use client";
// The incident report's Markdown export: the string the report procedure wrote (with the page, under the same role
// check), handed to the browser as incident-<target>-<rollback id>.md.
import { Button } from "../ui";
import { useToast } from "../toast";

export function IncidentReportDownload({ markdown, fileName }: { markdown: string; fileName: string }) {
  const toast = useToast();
  function download() {
    const url = URL.createObjectURL(new Blob([markdown], { type: "text/markdown;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.append(link);
    link.click();
    link.remove();
    // Revoked after the click has handed the file to the browser's download.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    toast(`Downloaded ${fileName}`);
  }
  return (
    <Button tone="secondary" onClick={download}>
      Download Markdown
    </Button>
  );
}
