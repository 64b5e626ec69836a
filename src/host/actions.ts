/** The actions `[host]` gives a command for (apart, so the command definitions name them without loading the host modules). */
export const HOST_ACTIONS = ['apply', 'upgrade', 'rollback', 'reboot', 'pull'] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];
