/** A permission as influxd stores it inside an authorization record. */
export interface Permission {
  action: 'read' | 'write' | string
  resource: {
    type: string
    id?: string
    orgID?: string
  }
}
