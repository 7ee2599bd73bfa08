/** Regions served from `appstream.{region}…`; every other region uses `workspace.{region}…`. */
const APPSTREAM_REGIONS = new Set([
  'cn-north-4',
  'cn-north-9',
  'cn-east-3',
  'cn-south-1',
  'cn-southwest-2',
]);

/** The default APS and ECS endpoints of a region (see the reference's endpoint table). */
export function endpointsForRegion(region: string): { aps: string; ecs: string } {
  const apsHost = APPSTREAM_REGIONS.has(region) ? 'appstream' : 'workspace';
  return {
    aps: `https://${apsHost}.${region}.myhuaweicloud.com`,
    ecs: `https://ecs.${region}.myhuaweicloud.com`,
  };
}
