/** @module index: chaoscope's programmatic API; the CLI and the HTTP API call only this. */
export { validatePaths, validateText, validateSources, validateDocument } from './spec/validate.js'
export type { Resource, SkippedDocument, ValidationResult } from './spec/validate.js'
export type { Issue } from './spec/issues.js'
export { formatIssue } from './spec/issues.js'
export { ChaosError, ERROR_CODES, EXIT } from './errors.js'
export type { ErrorCode } from './errors.js'
