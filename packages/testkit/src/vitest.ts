import { randomBytes } from "node:crypto";
import { test as base } from "vitest";
import { clusterFromEnv, type PgCluster } from "./postgres.js";
import { fastSubset, unavailable } from "./services.js";
import { sharedDir, type LabVersion } from "./shared.js";
import type { LabTemplates } from "./global-setup.js";
import { createTempGitRepo, type TempGitRepo } from "./git.js";
import { sshdFromEnv, type Sshd } from "./sshd.js";
import { buildImage, dockerAvailable, dockerRun, nodeImage, startTestContainer } from "./docker.js";

/** The `docker` fixture: the local engine is reachable; build images and run throwaway containers. */
export interface DockerFixture {
  buildImage: typeof buildImage;
  nodeImage: typeof nodeImage;
  run: typeof dockerRun;
  startContainer: typeof startTestContainer;
}

/** A database created for one test and dropped after it. */
export interface TestDatabase {
  name: string;
  /** Unix-socket URL. */
  url: string;
  /** TCP URL on 127.0.0.1. */
  tcpUrl: string;
}

export interface Fixtures {
  /** The run's throwaway cluster (skips, or fails in CI, when PostgreSQL is unavailable). */
  pg: PgCluster;
  /** A fresh empty database. */
  db: TestDatabase;
  /** A fresh copy of the real Odoo 16 database from ../shared/odoo16-lab. */
  labDb: TestDatabase;
  /** A fresh copy of the real Odoo 17 database from ../shared/odoo17-lab. */
  lab17Db: TestDatabase;
  /** A fresh copy of the real Odoo 18 database from ../shared/odoo18-lab. */
  lab18Db: TestDatabase;
  /** Fresh copies of the real database of any series, made on demand (for tests over 16, 17 and 18), dropped after. */
  labDbOf: (version: LabVersion) => Promise<TestDatabase>;
  /** The shared data folder (skips, or fails in CI, when missing). */
  shared: string;
  /** A fresh temp git repository, deleted after the test. */
  gitRepo: TempGitRepo;
  /** The run's loopback sshd (skips, or fails in CI, when sshd or root is missing). */
  sshd: Sshd;
  /** The local Docker engine (skips, or fails in CI, when it does not answer). */
  docker: DockerFixture;
}

/** A unique, valid database name for a test. */
export function testDbName(prefix = "t"): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
}

/**
 * Vitest `test` with real-service fixtures. Using a fixture that is unavailable skips the test with a loud
 * reason on a user's machine, and fails it when `CI` is set.
 *
 * @example
 * import { test, expect } from "@odoo-deploy/testkit/vitest";
 * test("counts partners", async ({ labDb, pg }) => {
 *   const rows = await pg.query("select count(*) from res_partner", [], labDb.name);
 *   expect(Number(rows[0].count)).toBeGreaterThan(0);
 * });
 */
export const test = base.extend<Fixtures>({
   
  pg: async ({ skip }, use) => {
    const cluster = clusterFromEnv();
    if (!cluster) {
      skip(unavailable("PostgreSQL", process.env.ODOO_DEPLOY_TEST_PG_UNAVAILABLE ?? "the global set-up did not start a cluster"));
      return;
    }
    await use(cluster);
  },
  db: async ({ pg }, use) => {
    const name = testDbName();
    await pg.createDatabase(name);
    await use({ name, url: pg.url(name), tcpUrl: pg.tcpUrl(name) });
    await pg.dropDatabase(name);
  },
  labDb: async ({ labDbOf }, use) => {
    await use(await labDbOf("16.0"));
  },
  lab17Db: async ({ labDbOf }, use) => {
    await use(await labDbOf("17.0"));
  },
  lab18Db: async ({ labDbOf }, use) => {
    await use(await labDbOf("18.0"));
  },
  labDbOf: async ({ pg, skip }, use) => {
    const labs = JSON.parse(process.env.ODOO_DEPLOY_TEST_LABS ?? "{}") as LabTemplates;
    const made: string[] = [];
    await use(async (version) => {
      const lab = labs[version];
      if (!lab || !("db" in lab)) {
        return skip(unavailable(`the real Odoo ${version} database`, lab?.unavailable ?? "not restored by the global set-up"));
      }
      const name = testDbName(`lab${version.split(".")[0]}`);
      made.push(name);
      await pg.createDatabase(name, { template: lab.db });
      return { name, url: pg.url(name), tcpUrl: pg.tcpUrl(name) };
    });
    for (const name of made) await pg.dropDatabase(name);
  },
   
  shared: async ({ skip }, use) => {
    const dir = sharedDir();
    if (!dir) {
      skip(unavailable("the shared data folder", "set ODOO_DEPLOY_SHARED or place it at ../shared"));
      return;
    }
    await use(dir);
  },
  sshd: async ({ skip }, use) => {
    if (fastSubset()) return skip("needs sshd: not in the fast subset (npm run test:fast)");
    const sshd = sshdFromEnv();
    if (!sshd) {
      skip(unavailable("sshd", process.env.ODOO_DEPLOY_TEST_SSHD_UNAVAILABLE ?? "the global set-up did not start one"));
      return;
    }
    await use(sshd);
  },
  docker: async ({ skip }, use) => {
    if (fastSubset()) return skip("needs Docker: not in the fast subset (npm run test:fast)");
    const d = await dockerAvailable();
    if (!d.ok) {
      skip(unavailable("Docker", d.reason));
      return;
    }
    await use({ buildImage, nodeImage, run: dockerRun, startContainer: startTestContainer });
  },
  // eslint-disable-next-line no-empty-pattern
  gitRepo: async ({}, use) => {
    const repo = await createTempGitRepo();
    await use(repo);
    repo.cleanup();
  },
});

export { expect, describe, beforeAll, afterAll, beforeEach, afterEach, vi } from "vitest";
