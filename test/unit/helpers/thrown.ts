// The DlmError a model rule throws (the model refuses by throwing; a test that
// expects a refusal fails if anything else, or nothing, is thrown).
import {expect} from 'vitest'
import {DlmError} from '../../../src/errors.js'

export function thrownDlmError(fn: () => unknown): DlmError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(DlmError)
    return e as DlmError
  }
  throw new Error('expected a DlmError, nothing was thrown')
}
