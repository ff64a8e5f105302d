/** A minimal Lambda context for invoking handlers in tests (the same one the drill uses). */
export { lambdaContext } from '../../drill/local-execution';
