import type { TopologyTarget } from "../engine/redis/target.ts";
import type { Config } from "./model.ts";

/** The deployment the configuration names, or null for the memory tier only. */
export function redisTarget(config: Config): TopologyTarget | null {
  if (config.redisUrl !== null) return { kind: "standalone", url: config.redisUrl };
  if (config.redisClusterNodes.length > 0) return { kind: "cluster", urls: config.redisClusterNodes };
  if (config.redisSentinelNodes.length > 0) {
    return { kind: "sentinel", master: config.redisSentinelMaster, sentinels: config.redisSentinelNodes, password: config.redisPassword };
  }
  return null;
}
