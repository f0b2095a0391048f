#!/usr/bin/env node
/**
 * The steps of the odoo-deploy GitHub Action (../action.yml), in plain JavaScript because they run from the
 * action's checkout, unbuilt, on the runner's Node.
 *
 *   node action.mjs install   CLI_SPEC (npm specs, default @odoo-deploy/cli@<this release>) → npm install -g
 *   node action.mjs run       ODOO_DEPLOY_COMMAND → odoo-deploy … --json → report file, step outputs, summary
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const MIN_NODE = [20, 19];

/** Runs a command with the given stdio; resolves with its exit code (130 when ended by a signal). */
function run(file, args, stdio) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio });
    let stdout = "";
    child.stdout?.on("data", (c) => (stdout += c));
    // The runner cancels a job with SIGINT, then SIGTERM: pass them on so the CLI cleans up before it exits.
    const forward = (sig) => () => child.kill(sig);
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt).on("SIGTERM", onTerm);
    child.on("error", (e) => reject(e.code === "ENOENT" ? new Error(`${file} not found on PATH`) : e));
    child.on("close", (code, signal) => {
      process.off("SIGINT", onInt).off("SIGTERM", onTerm);
      resolve({ code: code ?? (signal ? 130 : 1), stdout });
    });
  });
}

/** Arguments of the `command` input: separated by spaces and new lines; `--flag=value` keeps its value whole. */
export function parseCommand(text) {
  const args = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (/^--[A-Za-z0-9-]+=/.test(line)) args.push(line);
    else args.push(...line.split(/\s+/));
  }
  return args;
}

/** Replaces `${VAR}` by the environment variable VAR, without a shell; an unset variable is an error. */
export function expandVars(arg, env) {
  return arg.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name) => {
    const value = env[name];
    if (value === undefined || value === "") throw new Error(`environment variable ${name} is not set (used in the command input)`);
    return value;
  });
}

/** Appends `name=value` outputs to $GITHUB_OUTPUT, each with a random delimiter so no value can end it early. */
function setOutputs(outputs) {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  let text = "";
  for (const [name, value] of Object.entries(outputs)) {
    const delimiter = `odoo_deploy_${randomBytes(8).toString("hex")}`;
    text += `${name}<<${delimiter}\n${value ?? ""}\n${delimiter}\n`;
  }
  appendFileSync(file, text);
}

/** Escapes a workflow command's message, so that no value can start a command of its own on a new line. */
const escapeData = (s) => String(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** A Markdown table of the report's steps or checks for the job summary. */
function summary(args, report, code) {
  const items = report?.steps ?? report?.checks ?? [];
  const icon = { ok: "✅", failed: "❌", skipped: "➖" };
  const cell = (s) => String(s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`### odoo-deploy ${cell(args.filter((a) => !a.startsWith("-")).slice(0, 2).join(" "))}: ${report?.ok ? "ok" : `failed (exit ${code})`}`, ""];
  if (report?.error) lines.push(`**${cell(report.error.code)}**: ${cell(report.error.message)}`, "");
  if (items.length) {
    lines.push("| | step | detail |", "|---|---|---|");
    for (const s of items) lines.push(`| ${icon[s.status] ?? ""} | ${cell(s.name)} | ${cell(s.detail)} |`);
  }
  return `${lines.join("\n")}\n`;
}

async function install() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    console.error(`::error::odoo-deploy needs Node ${MIN_NODE.join(".")} or later, this runner has ${process.versions.node}: add actions/setup-node before this step`);
    return 2;
  }
  let specs = (process.env.CLI_SPEC ?? "").split(/\s+/).filter(Boolean);
  if (specs.length === 0) {
    const { version } = JSON.parse(readFileSync(path.join(here, "..", "packages", "cli", "package.json"), "utf8"));
    specs = [`@odoo-deploy/cli@${version}`];
  }
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const installed = await run(npm, ["install", "--global", "--no-audit", "--no-fund", ...specs], "inherit");
  if (installed.code !== 0) return installed.code;
  return (await run("odoo-deploy", ["--version"], "inherit")).code;
}

async function runCommand() {
  const env = process.env;
  const reportFile =
    env.ODOO_DEPLOY_REPORT ||
    path.join(env.RUNNER_TEMP || os.tmpdir(), "odoo-deploy", `${env.GITHUB_RUN_ID || "local"}-${env.GITHUB_RUN_ATTEMPT || "1"}-${env.GITHUB_ACTION || process.pid}.json`);
  mkdirSync(path.dirname(reportFile), { recursive: true });
  let args;
  let code;
  let report;
  try {
    args = parseCommand(env.ODOO_DEPLOY_COMMAND ?? "").map((a) => expandVars(a, env));
    if (args.length === 0) throw new Error("the command input is empty");
  } catch (e) {
    args = [];
    code = 2;
    report = { error: { code: "USAGE", message: e.message, details: {} } };
  }
  if (report === undefined) {
    if (!args.includes("--json")) args.push("--json");
    const r = await run("odoo-deploy", args, ["ignore", "pipe", "inherit"]);
    code = r.code;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      report = { error: { code: "NO_REPORT", message: `odoo-deploy exited ${code} without a JSON report on stdout`, details: {} } };
    }
  }
  writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  const failed = (report.steps ?? report.checks ?? []).filter((s) => s.status === "failed").map((s) => s.name);
  const scalar = (v) => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  setOutputs({
    ok: String(code === 0 && report.ok === true),
    "exit-code": String(code),
    report: reportFile,
    id: scalar(report.id),
    "rolled-back": scalar(report.rolledBack),
    path: scalar(report.path),
    "failed-steps": failed.join(","),
    "error-code": scalar(report.error?.code),
    "error-message": scalar(report.error?.message),
  });
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, summary(args, report, code));
  if (report.error) console.error(`::error title=odoo-deploy ${escapeData(report.error.code).replace(/[:,]/g, "")}::${escapeData(report.error.message)}`);
  else if (code !== 0) console.error(`::error title=odoo-deploy::${escapeData(`report not ok${failed.length ? `: ${failed.join(", ")} failed` : ""} (exit ${code})`)}`);
  return code;
}

// Only when run as a script: tests import parseCommand and expandVars.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2];
  if (mode === "install") process.exitCode = await install();
  else if (mode === "run") process.exitCode = await runCommand();
  else {
    console.error("usage: node action.mjs install|run");
    process.exitCode = 2;
  }
}
