/** The service this dashboard watches, named when the project was created. */
export const SERVICE_NAME = "{{PROJECT_NAME}}";

/** How often the status cards ask the backend again. */
export const POLL_INTERVAL_MS = 5000;
