// Errors a lab command reports to the user as they are: what is wrong and what to do.
export class LabError extends Error {}
