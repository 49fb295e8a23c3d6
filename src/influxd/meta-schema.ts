/**
 * meta.proto's messages that meta.db's `Data` reaches, written from the field
 * numbers of influxd's `v1/services/meta/internal/meta.proto` (v2.9.1;
 * unchanged since 1.x). The Command messages are not stored in meta.db.
 *
 * One table for both sides: meta-reader.ts reads with it (by hand, no
 * library), meta-proto.ts builds the protobuf library's descriptor from it
 * for writes. Fields are listed in declaration order, which is also the order
 * influxd's unmarshaller reports a missing required field in.
 */

export type MetaFieldLabel = 'optional' | 'required' | 'repeated'
export type MetaFieldType = 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'string' | 'message'
export type MetaFieldSpec = readonly [name: string, number: number, label: MetaFieldLabel, type: MetaFieldType, message?: string]

export const META_MESSAGES: Readonly<Record<string, readonly MetaFieldSpec[]>> = {
  Data: [
    ['Term', 1, 'required', 'uint64'], ['Index', 2, 'required', 'uint64'], ['ClusterID', 3, 'required', 'uint64'],
    ['Nodes', 4, 'repeated', 'message', 'NodeInfo'], ['Databases', 5, 'repeated', 'message', 'DatabaseInfo'], ['Users', 6, 'repeated', 'message', 'UserInfo'],
    ['MaxNodeID', 7, 'required', 'uint64'], ['MaxShardGroupID', 8, 'required', 'uint64'], ['MaxShardID', 9, 'required', 'uint64'],
    ['DataNodes', 10, 'repeated', 'message', 'NodeInfo'], ['MetaNodes', 11, 'repeated', 'message', 'NodeInfo'],
  ],
  NodeInfo: [['ID', 1, 'required', 'uint64'], ['Host', 2, 'required', 'string'], ['TCPHost', 3, 'optional', 'string']],
  DatabaseInfo: [
    ['Name', 1, 'required', 'string'], ['DefaultRetentionPolicy', 2, 'required', 'string'],
    ['RetentionPolicies', 3, 'repeated', 'message', 'RetentionPolicyInfo'], ['ContinuousQueries', 4, 'repeated', 'message', 'ContinuousQueryInfo'],
  ],
  RetentionPolicyInfo: [
    ['Name', 1, 'required', 'string'], ['Duration', 2, 'required', 'int64'], ['ShardGroupDuration', 3, 'required', 'int64'], ['ReplicaN', 4, 'required', 'uint32'],
    ['ShardGroups', 5, 'repeated', 'message', 'ShardGroupInfo'], ['Subscriptions', 6, 'repeated', 'message', 'SubscriptionInfo'],
  ],
  ShardGroupInfo: [
    ['ID', 1, 'required', 'uint64'], ['StartTime', 2, 'required', 'int64'], ['EndTime', 3, 'required', 'int64'], ['DeletedAt', 4, 'required', 'int64'],
    ['Shards', 5, 'repeated', 'message', 'ShardInfo'], ['TruncatedAt', 6, 'optional', 'int64'],
  ],
  ShardInfo: [['ID', 1, 'required', 'uint64'], ['OwnerIDs', 2, 'repeated', 'uint64'], ['Owners', 3, 'repeated', 'message', 'ShardOwner']],
  SubscriptionInfo: [['Name', 1, 'required', 'string'], ['Mode', 2, 'required', 'string'], ['Destinations', 3, 'repeated', 'string']],
  ShardOwner: [['NodeID', 1, 'required', 'uint64']],
  ContinuousQueryInfo: [['Name', 1, 'required', 'string'], ['Query', 2, 'required', 'string']],
  UserInfo: [['Name', 1, 'required', 'string'], ['Hash', 2, 'required', 'string'], ['Admin', 3, 'required', 'bool'], ['Privileges', 4, 'repeated', 'message', 'UserPrivilege']],
  UserPrivilege: [['Database', 1, 'required', 'string'], ['Privilege', 2, 'required', 'int32']],
}

/** Field numbers of Data the tool works with. */
export const DATA_INDEX = 2
export const DATA_DATABASES = 5
