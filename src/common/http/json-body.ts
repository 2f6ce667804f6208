import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';

/** Deepest nesting of objects and arrays a request body may have. */
const MAX_JSON_DEPTH = 32;

/**
 * Makes application/json the only request body the gateway parses (anything else is a 415,
 * form-encoded included). Depth is checked on the text before parsing, without recursion, so a
 * body of thousands of brackets is a 400 rather than a stack overflow in the validation pipe;
 * `__proto__` and `constructor.prototype` keys are refused as Fastify's own parser does.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(new AppError(ErrorCode.BAD_REQUEST, 'The body is empty but content-type is application/json'));
      return;
    }
    if (exceedsDepth(text, MAX_JSON_DEPTH)) {
      done(new AppError(ErrorCode.BAD_REQUEST, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`));
      return;
    }
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (err) {
      const poisoned = err instanceof SyntaxError && /prototype/i.test(err.message);
      done(
        new AppError(
          ErrorCode.BAD_REQUEST,
          poisoned
            ? 'The body contains a forbidden __proto__ or constructor.prototype key'
            : 'The body is not valid JSON',
        ),
      );
      return;
    }
    done(null, parsed);
  });
}

/** Whether brackets outside strings nest deeper than `max` (malformed JSON fails parsing anyway). */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
