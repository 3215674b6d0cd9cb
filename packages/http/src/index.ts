export { readLimitedBody } from "./read-limited-body";
