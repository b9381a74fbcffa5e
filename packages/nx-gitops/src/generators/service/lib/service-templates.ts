/** The layouts `nx g nx-gitops:service --template` writes (schema.json lists the same values). */
export const SERVICE_TEMPLATES = ['kustomize', 'helm'] as const;

/** One of {@link SERVICE_TEMPLATES}. */
export type ServiceTemplate = (typeof SERVICE_TEMPLATES)[number];

/** The template a service gets without `--template`. */
export const DEFAULT_SERVICE_TEMPLATE: ServiceTemplate = 'kustomize';
