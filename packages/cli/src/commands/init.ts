import { createInterface } from "node:readline/promises";
import { parseDbUrl, Redactor, UsageError } from "@odoo-deploy/core";
import { defineCommand, type CommandContext } from "../command.js";
import { FLAGS } from "../flags.js";
import { parseConfigFile } from "../config/load.js";
import { PASSWORD_VAR, renderConfigTemplate, withoutPassword, type InitAnswers } from "../config/template.js";
import { VERSION } from "../version.js";
import { writeGeneratedFile } from "../write-file.js";

const RUNNERS = ["local", "docker", "ssh"] as const;

/** Asks for what the flags left out, one question a line on the terminal; an empty answer takes the default. */
async function ask(ctx: CommandContext, a: InitAnswers, envGiven: boolean): Promise<void> {
  const rl = createInterface({ input: ctx.io.stdin!, output: ctx.io.stderr as NodeJS.WritableStream, terminal: true });
  const q = async (label: string, fallback?: string): Promise<string | undefined> => {
    const answer = (await rl.question(`${label}${fallback ? ` [${fallback}]` : ""}: `, { signal: ctx.signal })).trim();
    return answer || fallback;
  };
  try {
    ctx.human.line("Answer each question, or press Enter for the default in brackets (Ctrl-C to stop; nothing is written before the end).");
    if (!envGiven) a.environment = (await q("Environment name", a.environment)) ?? a.environment;
    a.dbUrl ??= await q("PostgreSQL URL of the Odoo database (a password is moved to an environment variable)", "postgres:///odoo");
    a.dbName ??= await q("Odoo database name", a.dbUrl ? parseDbUrl(a.dbUrl).database : undefined);
    while (a.runner === undefined) {
      const r = await q(`Where does Odoo run (${RUNNERS.join(", ")})`, "local");
      if (RUNNERS.includes(r as (typeof RUNNERS)[number])) a.runner = r as InitAnswers["runner"];
      else ctx.human.line(`  one of ${RUNNERS.join(", ")}, please`);
    }
    if (a.runner === "docker" && a.container === undefined && a.composeService === undefined) a.container = await q("Odoo container name", "odoo");
    if (a.runner === "ssh") {
      a.sshHost ??= await q("SSH host of the Odoo server");
      a.sshUser ??= await q("SSH user", "deploy");
      a.sshKey ??= await q("SSH private key file", "~/.ssh/id_ed25519");
    }
    a.addonsPaths ??= (await q("Addons paths inside this repository (comma-separated)", "custom_addons"))?.split(",").map((s) => s.trim()).filter(Boolean);
    a.backupDir ??= await q("Backups directory", "/var/backups/odoo");
    a.healthUrl ??= await q("Odoo server URL for health checks (empty: none)");
  } finally {
    rl.close();
  }
}

const str = (v: string | undefined): string | undefined => (v === "" ? undefined : v);

/** `odoo-deploy init`: a commented odoo-deploy.yaml to start from; questions on a terminal, flags otherwise. */
export default defineCommand({
  path: "init",
  summary: "Write a commented odoo-deploy.yaml (questions on a terminal, flags otherwise; never overwrites without --force)",
  loadsSettings: false,
  flags: {
    dbUrl: { ...FLAGS.dbUrl, description: "PostgreSQL URL of the Odoo database (a password in it is written as ${ODOO_DEPLOY_DB_PASSWORD})" },
    dbName: { ...FLAGS.dbName, description: "Odoo database name (default: the URL's database)" },
    runner: FLAGS.runner,
    container: FLAGS.container,
    composeProject: FLAGS.composeProject,
    composeService: FLAGS.composeService,
    sshHost: FLAGS.sshHost,
    sshUser: FLAGS.sshUser,
    sshKey: FLAGS.sshKey,
    odooBin: FLAGS.odooBin,
    odooConfig: FLAGS.odooConfig,
    addonsPath: { ...FLAGS.repoAddonsPaths, description: "addons paths inside the repository (repeatable, or comma-separated)" },
    backupDir: FLAGS.backupDir,
    healthUrl: FLAGS.healthUrl,
    force: { ...FLAGS.force, description: "replace an existing file" },
  },
  async run(ctx) {
    const start = performance.now();
    const f = ctx.flags;
    const file = ctx.loaded.file!;
    const answers: InitAnswers = {
      version: VERSION,
      environment: ctx.loaded.environment ?? "production",
      dbUrl: str(f.dbUrl),
      dbName: str(f.dbName),
      runner: f.runner,
      container: str(f.container),
      composeProject: str(f.composeProject),
      composeService: str(f.composeService),
      sshHost: str(f.sshHost),
      sshUser: str(f.sshUser),
      sshKey: str(f.sshKey),
      odooBin: str(f.odooBin),
      odooConfig: str(f.odooConfig),
      addonsPaths: f.addonsPath?.length ? f.addonsPath : undefined,
      backupDir: str(f.backupDir),
      healthUrl: str(f.healthUrl),
    };
    const interactive = !ctx.json && ctx.io.stdin !== undefined && ctx.io.stdin.isTTY === true && ctx.io.stderr.isTTY === true;
    if (interactive) await ask(ctx, answers, ctx.loaded.environment !== undefined);
    if (answers.dbUrl) parseDbUrl(answers.dbUrl); // a clear usage error now rather than a config error later
    if (answers.runner === "ssh" && (!answers.sshHost || !answers.sshUser)) {
      throw new UsageError("init --runner ssh needs --ssh-host HOST and --ssh-user USER", { code: "MISSING_SSH_SETTINGS" });
    }
    if (answers.runner === "docker" && !answers.container && !answers.composeService) {
      throw new UsageError("init --runner docker needs --container NAME or --compose-service NAME", { code: "MISSING_DOCKER_TARGET" });
    }
    const text = renderConfigTemplate(answers);
    // What is written must load: checked with the password variable set, before anything touches the disk.
    parseConfigFile(text, file, { ...ctx.io.env, [PASSWORD_VAR]: "unset" }, new Redactor());
    writeGeneratedFile(file, text, { force: f.force === true });
    const moved = answers.dbUrl !== undefined && withoutPassword(answers.dbUrl).moved;
    return {
      ok: true,
      durationMs: Math.round(performance.now() - start),
      file,
      environment: answers.environment,
      ...(moved ? { passwordVariable: PASSWORD_VAR } : {}),
      steps: [
        { name: "validate", status: "ok" as const, detail: "the file loads as odoo-deploy.yaml" },
        { name: "write", status: "ok" as const, detail: file },
      ],
    };
  },
  render(r, out) {
    out.verdict(true, `wrote ${r.file} (environment ${r.environment})`);
    if (r.passwordVariable) out.line(`The password of --db-url was not written: set ${r.passwordVariable} in the environment that runs odoo-deploy.`);
    out.line(out.dim("Next: review the file, then `odoo-deploy config show` and `odoo-deploy status`."));
  },
});
