// The CloudWatch dashboard body, resolved by serverless.yml (`${file(./scripts/dashboard.cjs):body}`).
// Metric names, namespace and dimensions are those of lib/metric-names.ts;
// test/integration/functions/serverless.test.ts checks every one used here is in that list.
const NAMESPACE = 'ApsAutoscaler';

module.exports.body = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable('self:provider.region');
  const sweep = `${service}-${stage}-sweep`;
  const remediate = `${service}-${stage}-remediate`;
  const dlq = `${service}-${stage}-remediation-dlq`;
  const failures = `${service}-${stage}-sweep-failures`;
  const ours = (name, ...dimensions) => [
    NAMESPACE,
    name,
    'service',
    'aps-autoscaler',
    'stage',
    stage,
    ...dimensions,
  ];
  const lambda = (name, fn, stat) => ['AWS/Lambda', name, 'FunctionName', fn, { stat }];
  const widget = (title, metrics, x, y, stat = 'Sum') => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, stat, period: 900, view: 'timeSeries', metrics },
  });
  const outcomes = [
    'removed',
    'failed',
    'would-remove',
    'drain-undone',
    'not-in-ecs-group',
    'prepaid',
  ];
  return JSON.stringify({
    widgets: [
      widget(
        'Removals by outcome',
        outcomes.map((o) => ours('Removals', 'Outcome', o)),
        0,
        0,
      ),
      widget(
        'Idle servers and groups evaluated',
        [ours('ServersIdle'), ours('GroupsEvaluated'), ours('WouldRemove')],
        12,
        0,
      ),
      widget(
        'Sweep status',
        ['completed', 'partial', 'aborted'].map((s) => ours('Sweeps', 'Status', s)),
        0,
        6,
      ),
      widget(
        'Huawei API errors, throttles, retries',
        [ours('ApiErrors'), ours('Throttles'), ours('Retries')],
        12,
        6,
      ),
      widget(
        'Function errors and throttles',
        [
          lambda('Errors', sweep, 'Sum'),
          lambda('Errors', remediate, 'Sum'),
          lambda('Throttles', sweep, 'Sum'),
          lambda('Throttles', remediate, 'Sum'),
        ],
        0,
        12,
      ),
      widget(
        'Duration (max, ms)',
        [lambda('Duration', sweep, 'Maximum'), lambda('Duration', remediate, 'Maximum')],
        12,
        12,
        'Maximum',
      ),
      widget(
        'Dead-letter depth',
        [
          ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', dlq],
          ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', failures],
          ours('DeadLettered'),
        ],
        0,
        18,
        'Maximum',
      ),
      widget(
        'Server-hours freed and estimated monthly saving',
        [ours('ServerHoursFreed'), ours('EstimatedMonthlySaving')],
        12,
        18,
      ),
    ],
  });
};
