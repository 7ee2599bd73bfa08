import { build } from 'esbuild';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * The IAM action each AWS SDK command this project sends needs (AWS Service
 * Authorization Reference: a batch send needs the single action; a listing
 * of objects needs `s3:ListBucket`). A command found in a function's code
 * and missing here fails the test that reads it: add it with its action.
 */
const ACTION_OF_COMMAND: Record<string, string> = {
  GetItemCommand: 'dynamodb:GetItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
  // Each item of a transaction needs its own action (TRANSACT_ITEM below).
  TransactWriteItemsCommand: '',
  TransactGetItemsCommand: 'dynamodb:GetItem',
  GetObjectCommand: 's3:GetObject',
  PutObjectCommand: 's3:PutObject',
  ListObjectsV2Command: 's3:ListBucket',
  SendMessageCommand: 'sqs:SendMessage',
  SendMessageBatchCommand: 'sqs:SendMessage',
  PublishCommand: 'sns:Publish',
};

/** The action of each kind of item of a `TransactWriteItems`. */
const TRANSACT_ITEM: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** The action a library module the code imports sends on its behalf. */
const ACTION_OF_MODULE: Record<string, string> = {
  '@aws-lambda-powertools/parameters/ssm': 'ssm:GetParameter',
  '@aws-lambda-powertools/parameters/secrets': 'secretsmanager:GetSecretValue',
};

/** What the code of one function can send to AWS. */
export interface AwsActions {
  /** Each IAM action, sorted. */
  actions: string[];
  /** `…Command` names found that ACTION_OF_COMMAND does not know. */
  unknown: string[];
}

/**
 * The AWS actions the code of `entry` (a repository path such as
 * `functions/sweep.ts`) can send: its bundle as the deploy builds it
 * (tree-shaken, so code the function never reaches is not in it; the AWS
 * SDK and Powertools left out so their names stay readable) is read for the
 * SDK commands it constructs, each transaction's kinds of item and the
 * Powertools parameter modules it loads.
 */
export async function awsActionsOf(entry: string): Promise<AwsActions> {
  const { outputFiles } = await build({
    entryPoints: [`${ROOT}${entry}`],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    treeShaking: true,
    external: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
    logLevel: 'error',
  });
  const text = outputFiles.map((f) => f.text).join('\n');
  const actions = new Set<string>();
  const unknown = new Set<string>();
  for (const [, name = ''] of text.matchAll(/\b([A-Z][A-Za-z0-9]*Command)\b/g)) {
    const action = ACTION_OF_COMMAND[name];
    if (action === undefined) unknown.add(name);
    else if (action !== '') actions.add(action);
  }
  if (text.includes('TransactWriteItemsCommand')) {
    for (const [item, action] of Object.entries(TRANSACT_ITEM)) {
      if (new RegExp(`\\b${item}\\s*:`).test(text)) actions.add(action);
    }
  }
  for (const [module, action] of Object.entries(ACTION_OF_MODULE)) {
    if (text.includes(`"${module}"`)) actions.add(action);
  }
  return { actions: [...actions].sort(), unknown: [...unknown].sort() };
}
