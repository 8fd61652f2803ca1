// Drives Squeeze through a TypeScript client generated from its served OpenAPI document
// (openapi-typescript's types, openapi-fetch's calls): submit a video as multipart, follow
// the job to "succeeded", download the output, list the jobs, run a resumable upload.
// tsc type-checks every call against the generated types before this runs.
// Usage: node dist/drive.js <base URL> <clip for the submit> <clip for the upload in parts>
import createClient from "openapi-fetch";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { paths } from "./generated/schema.js";

const [base, submitted, parted] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl: base });
const TERMINAL = ["succeeded", "failed", "canceled"];

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(what);
}

async function finished(jobId: string): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { data } = await client.GET("/api/jobs/{job_id}", { params: { path: { job_id: jobId } } });
    check(data !== undefined, `job ${jobId} could not be read`);
    if (TERMINAL.includes(data.status) || Date.now() > deadline) return data.status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// 1. A multipart submit: the file field is binary in the document.
const video = readFileSync(submitted);
const { data: job, response } = await client.POST("/api/jobs", {
  body: { file: "", preset: "small" },
  bodySerializer() {
    const form = new FormData();
    form.append("file", new Blob([video], { type: "video/mp4" }), basename(submitted));
    form.append("preset", "small");
    return form;
  },
});
check(response.status === 202 && job !== undefined, `submit answered ${response.status}`);
check((await finished(job.id)) === "succeeded", "the submitted job did not succeed");

// 2. The output, and the list.
const output = await client.GET("/api/jobs/{job_id}/output", {
  params: { path: { job_id: job.id } },
  parseAs: "arrayBuffer",
});
check(output.response.status === 200 && output.data !== undefined, "no output");
check(Buffer.from(output.data).subarray(4, 8).toString() === "ftyp", "the output is not an MP4");
const listed = await client.GET("/api/jobs", { params: { query: { limit: 100 } } });
check(listed.data !== undefined && listed.data.jobs.some((each) => each.id === job.id), "not listed");

// 3. A resumable upload: promise, sign the parts, PUT each, complete.
const bytes = readFileSync(parted);
const { data: upload } = await client.POST("/api/uploads", {
  body: { filename: basename(parted), size_bytes: bytes.length },
});
check(upload !== undefined, "the upload was not made");
const numbers = Array.from({ length: upload.parts_total }, (_, index) => index + 1);
const { data: signed } = await client.POST("/api/uploads/{upload_id}/parts", {
  params: { path: { upload_id: upload.id } },
  body: { numbers },
});
check(signed !== undefined, "no part URLs");
for (const part of signed.parts) {
  const start = (part.number - 1) * upload.part_size;
  const sent = await fetch(part.url, {
    method: part.method,
    headers: part.headers,
    body: bytes.subarray(start, start + upload.part_size),
  });
  check(sent.status === 200, `part ${part.number} answered ${sent.status}`);
}
const completed = await client.POST("/api/uploads/{upload_id}/complete", {
  params: { path: { upload_id: upload.id } },
});
check(completed.response.status === 202 && completed.data !== undefined, "completion refused");
check((await finished(completed.data.id)) === "succeeded", "the uploaded job did not succeed");
console.log(JSON.stringify({ submitted: job.id, uploaded: completed.data.id }));
