/** The floor of a cold start: a handler that loads nothing and allows everything. */
export async function handler(event: { methodArn?: string }): Promise<unknown> {
  return {
    principalId: 'hello',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [event.methodArn ?? '*'] }],
    },
  };
}
