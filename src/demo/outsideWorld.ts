import { writeGhStandIn } from './ghStandIn.js';
import { pullRequestStandIn } from './pullRequest.js';
import { startReceiver } from './receiver.js';

/** The pull request the checklist's merge phase talks about. */
const blockedPullRequest = 654;

export interface OutsideWorldOptions {
  /** A directory of the demo's own (outside the state dir) for the `gh` stand-in. */
  readonly workDir: string;
  /** The required check of the PR: the deploy gate. */
  requiredCheck(): Promise<{ readonly ok: boolean; readonly reason: string }>;
  /** Merging the PR deploys the app change to production. */
  onMerge(): Promise<string>;
  onNotification(text: string): void;
}

export interface OutsideWorld {
  /** For the notify steps' webhook variables. */
  readonly webhookUrl: string;
  /** To put first on the runs' PATH: holds the `gh` stand-in. */
  readonly binDir: string;
  close(): Promise<void>;
}

/**
 * What a real rollout talks to besides the database, on loopback: Slack's incoming
 * webhook and GitHub (PR #654 through a `gh` stand-in).
 */
export async function startOutsideWorld(options: OutsideWorldOptions): Promise<OutsideWorld> {
  const receiver = await startReceiver({
    onNotification: options.onNotification,
    gh: pullRequestStandIn({
      number: blockedPullRequest,
      requiredCheck: options.requiredCheck,
      onMerge: options.onMerge,
    }),
  });
  try {
    const binDir = await writeGhStandIn(options.workDir, receiver.ghUrl);
    return { webhookUrl: receiver.webhookUrl, binDir, close: () => receiver.close() };
  } catch (error) {
    await receiver.close();
    throw error;
  }
}
