// A DNS host name as a dashboard may be addressed by (--allowed-host, PODNET_ALLOWED_HOSTS):
// labels of letters, digits and "-", no scheme, no port. Isomorphic.
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;

export const isHostName = (name: string): boolean => HOST_NAME.test(name);
