// Once the whole run is over: tests grade courses made in temporary
// directories, which are gone now, and their specs' compiled copies with them.
import { pruneCompiled } from '../grader/typescript-cache.mjs';

export default function setup(): () => void {
  return () => {
    pruneCompiled();
  };
}
