/** The paths one render reads, for the publisher's clean-workspace check. */
export { listRenderSources } from './analyze-service';
