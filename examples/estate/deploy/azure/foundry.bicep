// Azure AI Foundry deployment used by the customer-service pilot
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'northwind-foundry'
  location: 'uksouth'
  kind: 'AIServices'
}

resource reasoner 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: 'reasoner'
  sku: { name: 'GlobalStandard', capacity: 1 }
  properties: {
    model: {
      format: 'DeepSeek'
      name: 'DeepSeek-R1'
      version: '1'
    }
  }
}
